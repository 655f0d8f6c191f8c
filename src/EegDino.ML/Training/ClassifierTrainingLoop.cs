using System.Diagnostics;
using EegDino.ML.Model;
using EegDino.ML.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Training;

/// <summary>
/// The outcome of <see cref="ClassifierTrainingLoop.Train"/>: the trained network itself (on the
/// training device, in inference mode; the caller owns it) and the record of the run.
/// </summary>
internal sealed record TrainingResult(EegDinoNetwork Network, EegDinoTrainingHistory History);

/// <summary>Where a run reports as it goes, and how it learns that it should stop.</summary>
/// <param name="CheckAlive">Called before every optimiser step and every inference batch; throws to cancel (ML.NET's <c>IHost.CheckAlive</c>).</param>
/// <param name="Log">One line per event (the MLContext log).</param>
/// <param name="Progress">The current epoch, step and loss, for ML.NET's progress channel.</param>
internal sealed record TrainingReporting(Action CheckAlive, Action<string>? Log, TrainingProgress Progress);

/// <summary>The state a progress channel polls: written by the training thread, read by ML.NET's.</summary>
internal sealed class TrainingProgress
{
    public volatile int Epoch;
    public volatile int Epochs;
    public volatile int Step;
    public volatile int StepsPerEpoch;
    public double LastLoss = double.NaN;
}

/// <summary>
/// Trains EEG-DINO's classification head (and optionally encoder layers) with TorchSharp autograd:
/// AdamW with decoupled weight decay on matrices only, linear warm-up then cosine decay per step,
/// cross-entropy with optional class weights and label smoothing, gradient-norm clipping,
/// validation after every epoch and early stopping that restores the best epoch's weights.
/// </summary>
/// <remarks>
/// Determinism: everything random (head initialisation, dropout, drop path) draws from torch's global
/// generator, seeded with the run's seed, and the row order from a <see cref="Random"/> with the same
/// seed. Runs are serialised process-wide so that two trainings cannot interleave draws from the
/// global generator. Given the same rows, options, seed and torch thread count, a run is repeatable.
/// </remarks>
internal static class ClassifierTrainingLoop
{
    /// <summary>Serialises runs: torch's global generator is process-wide.</summary>
    private static readonly object GlobalGeneratorGate = new();

    public static TrainingResult Train(EegDinoClassifierTrainer.Options options, NetworkWeights checkpoint, int numberOfClasses,
        LabelledSignals training, LabelledSignals? validation, int seed, TrainingReporting reporting)
    {
        lock (GlobalGeneratorGate)
        {
            torch.manual_seed(seed);
            var random = new Random(seed);
            Device device = EegDinoRuntime.ResolveDevice(options.Device);
            EegDinoConfig config = checkpoint.Config;
            // The encoder's weights must fit the configuration before anything is allocated for it.
            ParameterLayout.Check(checkpoint.Tensors, config, null, ignoreHead: true);
            var network = new EegDinoNetwork(config, numberOfClasses, options.Dropout);
            try
            {
                StartingWeights(checkpoint, network, options.InitialHead, numberOfClasses, options.LabelColumnName).CopyTo(network, ignoreHead: false);
                network.to(device);
                using var run = new Run(network, options, numberOfClasses, training, validation, device, random, reporting);
                var history = run.Execute(seed);
                network.eval();
                return new TrainingResult(network, history);
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// The checkpoint's encoder plus the head chosen by <paramref name="initialHead"/>: the stored one,
    /// or the freshly initialised head of <paramref name="network"/> (drawn from the seeded generator).
    /// </summary>
    internal static NetworkWeights StartingWeights(NetworkWeights checkpoint, EegDinoNetwork network, EegDinoInitialHead initialHead,
        int numberOfClasses, string labelColumnName)
    {
        bool useStored = ChooseStoredHead(checkpoint, initialHead, numberOfClasses, labelColumnName);
        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        foreach (var (key, value) in checkpoint.Tensors)
        {
            if (!key.StartsWith(HeadPrefix, StringComparison.Ordinal) || useStored) tensors[key] = value;
        }
        if (!useStored)
        {
            foreach (var (key, value) in NetworkWeights.Extract(network))
            {
                if (key.StartsWith(HeadPrefix, StringComparison.Ordinal)) tensors[key] = value;
            }
        }
        return NetworkWeights.FromContents(new CheckpointContents("starting point", tensors), EegDinoWeightSource.Student, checkpoint.Config, checkpoint.Description);
    }

    internal const string HeadPrefix = "final_layer.";

    /// <summary>Whether to start from the stored head; throws when the choice cannot be honoured.</summary>
    internal static bool ChooseStoredHead(NetworkWeights checkpoint, EegDinoInitialHead initialHead, int numberOfClasses, string labelColumnName)
    {
        if (initialHead == EegDinoInitialHead.Fresh) return false;
        if (checkpoint.HeadClasses is not int stored)
        {
            if (initialHead == EegDinoInitialHead.Checkpoint)
                throw new EegDinoModelFormatException(
                    $"InitialHead is Checkpoint, but {checkpoint.Description} has no classification head (final_layer.* or full_linear/channel_linear/classifier.*). Use InitialHead = Fresh to train a new head.");
            return false;
        }
        if (stored != numberOfClasses)
        {
            throw new EegDinoException(
                $"The checkpoint's classification head has {stored} classes, but the label column '{labelColumnName}' has {numberOfClasses}. " +
                "Set InitialHead = EegDinoInitialHead.Fresh to re-initialise the head for these classes.");
        }
        return true;
    }

    /// <summary>One training run's state: network, optimiser, caches.</summary>
    private sealed class Run : IDisposable
    {
        private readonly EegDinoNetwork _network;
        private readonly EegDinoClassifierTrainer.Options _options;
        private readonly int _classes;
        private readonly LabelledSignals _training;
        private readonly LabelledSignals? _validation;
        private readonly Device _device;
        private readonly Random _random;
        private readonly TrainingReporting _reporting;
        private readonly Action<string>? _log;
        private readonly List<Parameter> _trainable = [];
        private readonly List<(string Name, Parameter Parameter)> _trainableNamed = [];
        private readonly List<(AdamWOptimizer.Group Group, double BaseRate)> _groups = [];
        private readonly int _firstTrainableLayer;
        private AdamWOptimizer? _optimizer;
        private DynamicLossScale? _lossScale;
        private Tensor? _classWeights;
        private Tensor? _trainingCache;
        private Tensor? _validationCache;
        private Dictionary<string, Tensor>? _best;

        public Run(EegDinoNetwork network, EegDinoClassifierTrainer.Options options, int classes,
            LabelledSignals training, LabelledSignals? validation, Device device, Random random, TrainingReporting reporting)
        {
            _network = network;
            _options = options;
            _classes = classes;
            _training = training;
            _validation = validation;
            _device = device;
            _random = random;
            _reporting = reporting;
            _log = reporting.Log;
            int layers = network.Config.NumberOfLayers;
            _firstTrainableLayer = options.Mode switch
            {
                EegDinoTrainingMode.HeadOnly => layers,
                EegDinoTrainingMode.FineTuneAll => 0,
                _ => layers - options.NumberOfFineTunedLayers,
            };
        }

        private bool HeadOnly => _options.Mode == EegDinoTrainingMode.HeadOnly;

        private int Channels => _training.NumberOfChannels;

        public EegDinoTrainingHistory Execute(int seed)
        {
            if (_options.NumberOfEpochs == 0)
                return new EegDinoTrainingHistory([], null, false, _options.Mode, 0, 0, TimeSpan.Zero, seed);
            SelectTrainableParameters();
            // Frozen weights are converted once; the trained ones are cast at each forward, so their float32 masters get the gradients.
            _network.SetPrecision(_options.Precision, _trainable);
            if (_options.Precision == EegDinoPrecision.Float16) _lossScale = new DynamicLossScale();
            if (_options.ClassWeights is { } weights)
            {
                using var scope = NewDisposeScope(); // roots the CPU tensor until its copy to the device returns
                _classWeights = tensor(weights, dtype: ScalarType.Float32).to(_device).DetachFromDisposeScope();
            }

            TimeSpan cacheTime = TimeSpan.Zero;
            if (HeadOnly)
            {
                var watch = Stopwatch.StartNew();
                _trainingCache = EncodeAll(_training);
                if (_validation is not null) _validationCache = EncodeAll(_validation);
                cacheTime = watch.Elapsed;
                _log?.Invoke($"Encoded {_training.Count + (_validation?.Count ?? 0)} rows once for head-only training in {cacheTime.TotalSeconds:F1} s.");
            }

            int batchSize = Math.Min(_options.BatchSize, _training.Count);
            int stepsPerEpoch = (_training.Count + batchSize - 1) / batchSize;
            var schedule = new LearningRateSchedule(stepsPerEpoch * _options.NumberOfEpochs,
                (int)Math.Round(_options.WarmupEpochs * stepsPerEpoch), _options.MinimumLearningRateFactor);

            var progress = _reporting.Progress;
            progress.Epochs = _options.NumberOfEpochs;
            progress.StepsPerEpoch = stepsPerEpoch;
            var epochs = new List<EegDinoEpochSummary>();
            int? bestEpoch = null;
            double bestValue = double.NaN;
            int step = 0;
            bool stoppedEarly = false;
            int[] order = Enumerable.Range(0, _training.Count).ToArray();
            for (int epoch = 1; epoch <= _options.NumberOfEpochs; epoch++)
            {
                progress.Epoch = epoch - 1;
                var watch = Stopwatch.StartNew();
                _random.Shuffle(order);
                double lossSum = 0;
                long correct = 0;
                for (int start = 0; start < order.Length; start += batchSize)
                {
                    _reporting.CheckAlive();
                    var batch = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
                    progress.Step = start / batchSize;
                    double factor = schedule.Factor(step++);
                    foreach (var (group, baseRate) in _groups) group.LearningRate = baseRate * factor;
                    var (loss, hits) = TrainStep(batch, step);
                    Volatile.Write(ref progress.LastLoss, loss);
                    lossSum += loss * batch.Length;
                    correct += hits;
                }

                double? validationLoss = null, validationAccuracy = null;
                if (_validation is not null && _validation.Count > 0)
                    (validationLoss, validationAccuracy) = Evaluate(_validation, _validationCache);
                var summary = new EegDinoEpochSummary(epoch, lossSum / _training.Count, correct / (double)_training.Count,
                    validationLoss, validationAccuracy, _groups[0].Group.LearningRate, watch.Elapsed);
                epochs.Add(summary);
                _log?.Invoke(summary.ToString());
                _options.EpochCompleted?.Invoke(summary);

                if (_options.EarlyStopping != EegDinoEarlyStopping.None && validationLoss is double vl)
                {
                    double value = _options.EarlyStopping == EegDinoEarlyStopping.ValidationLoss ? vl : -validationAccuracy!.Value;
                    if (bestEpoch is null || value < bestValue)
                    {
                        bestValue = value;
                        bestEpoch = epoch;
                        Snapshot();
                    }
                    else if (epoch - bestEpoch.Value >= _options.EarlyStoppingPatience)
                    {
                        stoppedEarly = epoch < _options.NumberOfEpochs;
                        _log?.Invoke($"Early stopping after epoch {epoch}: no improvement of {_options.EarlyStopping} since epoch {bestEpoch}.");
                        break;
                    }
                }
            }
            progress.Epoch = epochs.Count;
            if (bestEpoch is not null) Restore();
            return new EegDinoTrainingHistory(epochs, bestEpoch, stoppedEarly, _options.Mode, _training.Count, _validation?.Count ?? 0, cacheTime, seed);
        }

        private void SelectTrainableParameters()
        {
            var headDecay = new List<Parameter>();
            var headPlain = new List<Parameter>();
            var encoderDecay = new List<Parameter>();
            var encoderPlain = new List<Parameter>();
            foreach (var (name, parameter) in _network.named_parameters())
            {
                bool head = name.StartsWith(HeadPrefix, StringComparison.Ordinal);
                bool trainable = head || IsTrainableEncoderParameter(name);
                parameter.requires_grad = trainable;
                if (!trainable) continue;
                _trainable.Add(parameter);
                _trainableNamed.Add((name, parameter));
                // Decoupled weight decay on weight matrices only, not on biases, norms or the global tokens.
                bool decay = parameter.dim() >= 2 && name != "global_tokens";
                (head ? (decay ? headDecay : headPlain) : (decay ? encoderDecay : encoderPlain)).Add(parameter);
            }

            void Add(List<Parameter> parameters, double rate, double weightDecay)
            {
                if (parameters.Count == 0) return;
                var group = new AdamWOptimizer.Group(parameters, rate, weightDecay);
                _groups.Add((group, rate));
            }
            Add(headDecay, _options.LearningRate, _options.WeightDecay);
            Add(headPlain, _options.LearningRate, 0);
            Add(encoderDecay, _options.EncoderLearningRate, _options.WeightDecay);
            Add(encoderPlain, _options.EncoderLearningRate, 0);
            _optimizer = new AdamWOptimizer(_groups.Select(g => g.Group), beta1: 0.9, beta2: 0.999, epsilon: 1e-8);
        }

        private bool IsTrainableEncoderParameter(string name)
        {
            if (_options.Mode == EegDinoTrainingMode.HeadOnly) return false;
            if (_options.Mode == EegDinoTrainingMode.FineTuneAll) return true;
            const string prefix = "encoder_layers.";
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) return false;
            int dot = name.IndexOf('.', prefix.Length);
            return int.Parse(name.AsSpan(prefix.Length, dot - prefix.Length), System.Globalization.CultureInfo.InvariantCulture) >= _firstTrainableLayer;
        }

        /// <summary>Puts the trainable modules in training mode and the frozen ones in inference mode (no dropout).</summary>
        private void SetTrainingMode()
        {
            _network.eval();
            _network.Head!.train();
            if (HeadOnly) return;
            if (_options.Mode == EegDinoTrainingMode.FineTuneAll) _network.PatchEmbedding.train();
            var layers = _network.Layers;
            for (int i = _firstTrainableLayer; i < layers.Count; i++) layers[i].train();
        }

        /// <summary>One optimiser step on <paramref name="rows"/>; <paramref name="step"/> is its number, counted from 1.</summary>
        private (double Loss, long Correct) TrainStep(int[] rows, int step)
        {
            using var scope = NewDisposeScope();
            SetTrainingMode();
            Tensor target = tensor(rows.Select(r => (long)_training.Labels[r]).ToArray(), dtype: ScalarType.Int64).to(_device);
            Tensor logits = Logits(_training, _trainingCache, rows);
            Tensor loss = nn.functional.cross_entropy(logits, target, weight: _classWeights, label_smoothing: _options.LabelSmoothing);
            float value = loss.item<float>();
            if (!float.IsFinite(value))
            {
                throw new EegDinoException(
                    $"Training diverged: the loss of step {step} is {value} ({_options.Precision}). Lower LearningRate or EncoderLearningRate, or set GradientClipNorm.");
            }
            _optimizer!.ZeroGrad();
            (_lossScale is null ? loss : _lossScale.ScaleLoss(loss)).backward();
            if (_lossScale is null || _lossScale.UnscaleAndCheck(_trainable))
            {
                if (_options.GradientClipNorm > 0) nn.utils.clip_grad_norm_(_trainable, _options.GradientClipNorm);
                _optimizer.Step();
            }
            else
            {
                _log?.Invoke($"Float16: step {step} skipped (inf or NaN gradients); the loss scale is now {_lossScale.Scale:G}.");
            }
            long correct = logits.argmax(1).eq(target).sum().item<long>();
            return (value, correct);
        }

        /// <summary>Class logits <c>[B, classes]</c> for <paramref name="rows"/> of <paramref name="data"/>, from the cache in head-only mode.</summary>
        private Tensor Logits(LabelledSignals data, Tensor? cache, int[] rows)
        {
            if (cache is not null)
            {
                Tensor tokens = cache.index_select(0, tensor(rows.Select(r => (long)r).ToArray(), dtype: ScalarType.Int64).to(cache.device));
                return _network.Head!.forward(tokens, Channels);
            }
            return _network.Classify(_network.Encode(Input(data, rows), null), Channels);
        }

        /// <summary>The scaled input <c>[B, C, T]</c> of <paramref name="rows"/>, on the device (the same conversion as inference).</summary>
        private Tensor Input(LabelledSignals data, int[] rows)
        {
            var values = new float[rows.Length * data.RowLength];
            for (int i = 0; i < rows.Length; i++) data.Row(rows[i]).CopyTo(values.AsSpan(i * data.RowLength, data.RowLength));
            return EegDinoInput.ToTensor(values, rows.Length, data.NumberOfChannels, _network.Config, _options.InputScale, _device);
        }

        /// <summary>Patch tokens <c>[N, C*P, D]</c> of every row, computed once in inference mode; owned by the run.</summary>
        private Tensor EncodeAll(LabelledSignals data)
        {
            _network.eval();
            using var noGrad = no_grad();
            var parts = new List<Tensor>();
            int g = _network.Config.NumberOfGlobalTokens;
            try
            {
                int batch = Math.Max(1, _options.InferenceBatchSize);
                for (int start = 0; start < data.Count; start += batch)
                {
                    _reporting.CheckAlive();
                    using var scope = NewDisposeScope();
                    int[] rows = Enumerable.Range(start, Math.Min(batch, data.Count - start)).ToArray();
                    Tensor tokens = _network.Encode(Input(data, rows), null);
                    parts.Add(tokens.narrow(1, g, tokens.shape[1] - g).contiguous().DetachFromDisposeScope());
                }
                return cat(parts, 0).DetachFromDisposeScope();
            }
            finally
            {
                foreach (var part in parts) part.Dispose();
            }
        }

        /// <summary>Mean cross-entropy and accuracy in inference mode.</summary>
        private (double Loss, double Accuracy) Evaluate(LabelledSignals data, Tensor? cache)
        {
            _network.eval();
            using var noGrad = no_grad();
            double lossSum = 0;
            long correct = 0;
            int batch = Math.Max(1, HeadOnly ? _options.BatchSize : _options.InferenceBatchSize);
            for (int start = 0; start < data.Count; start += batch)
            {
                using var scope = NewDisposeScope();
                int[] rows = Enumerable.Range(start, Math.Min(batch, data.Count - start)).ToArray();
                Tensor target = tensor(rows.Select(r => (long)data.Labels[r]).ToArray(), dtype: ScalarType.Int64).to(_device);
                Tensor logits = Logits(data, cache, rows);
                lossSum += nn.functional.cross_entropy(logits, target, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(1).eq(target).sum().item<long>();
            }
            return (lossSum / data.Count, correct / (double)data.Count);
        }

        private void Snapshot()
        {
            DisposeBest();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope(); // roots each detached view until its clone returns
            _best = _trainableNamed.ToDictionary(p => p.Name, p => p.Parameter.detach().clone().DetachFromDisposeScope(), StringComparer.Ordinal);
        }

        private void Restore()
        {
            if (_best is null) return;
            using var noGrad = no_grad();
            foreach (var (name, parameter) in _trainableNamed) parameter.copy_(_best[name]);
        }

        private void DisposeBest()
        {
            if (_best is null) return;
            foreach (var t in _best.Values) t.Dispose();
            _best = null;
        }

        public void Dispose()
        {
            DisposeBest();
            _optimizer?.Dispose();
            _classWeights?.Dispose();
            _trainingCache?.Dispose();
            _validationCache?.Dispose();
            foreach (var p in _network.parameters()) p.requires_grad = false;
        }
    }
}
