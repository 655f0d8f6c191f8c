namespace EegDino.ML.Weights.Torch;

/// <summary>
/// The torch builders REDUCE may run (allowed by <see cref="PicklePolicy"/>): tensors from their
/// storage, offset, sizes and strides (<c>torch._utils._rebuild_tensor_v2</c> and friends),
/// parameters as their data, and <c>torch.Size</c>. Every number comes from the file, so a view
/// is checked to lie inside its storage (checked arithmetic) before it exists.
/// </summary>
internal static class TorchRebuilders
{
    /// <summary>Most dimensions of a tensor.</summary>
    public const int MaxDimensions = 64;

    /// <summary>Runs the torch builder <paramref name="name"/>, or returns false when it is not one.</summary>
    /// <param name="name">The callable's full name.</param>
    /// <param name="args">REDUCE's arguments.</param>
    /// <param name="fail">Makes the exception for a malformed call (the machine adds opcode and offset).</param>
    /// <param name="result">The built value.</param>
    public static bool TryBuild(string name, object?[] args, Func<string, Exception> fail, out object? result)
    {
        switch (name)
        {
            case "torch._utils._rebuild_tensor_v2":
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                if (args.Length is < 4 or > 7) throw fail($"_rebuild_tensor_v2 with {args.Length} arguments (6 expected)");
                if (args.Length >= 5 && args[4] is not bool) throw fail($"_rebuild_tensor_v2 requires_grad is {PickleValue.Describe(args[4])}");
                result = RebuildTensor(args, fail);
                return true;
            case "torch._utils._rebuild_tensor":
                if (args.Length != 4) throw fail($"_rebuild_tensor with {args.Length} arguments (4 expected)");
                result = RebuildTensor(args, fail);
                return true;
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                // (data, requires_grad, backward_hooks[, state]): a Parameter is its data here.
                if (args.Length is < 3 or > 4 || args[0] is not TorchTensorRef) throw fail($"{name} with ({string.Join(", ", args.Select(PickleValue.Describe))})");
                result = args[0];
                return true;
            case "torch.Size":
                if (args.Length != 1 || args[0] is not PickleTuple size) throw fail("torch.Size needs one tuple");
                result = size;
                return true;
            default:
                result = null;
                return false;
        }
    }

    private static TorchTensorRef RebuildTensor(object?[] args, Func<string, Exception> fail)
    {
        if (args[0] is not TorchStorageRef storage) throw fail($"tensor storage is {PickleValue.Describe(args[0])} (a persistent storage id expected)");
        if (args[1] is not long offset || offset < 0) throw fail($"tensor storage offset is {PickleValue.Describe(args[1])} (a non-negative int expected)");
        long[] shape = IntTuple(args[2], "size", fail);
        long[] stride = IntTuple(args[3], "stride", fail);
        if (shape.Length != stride.Length) throw fail($"tensor size has {shape.Length} dimensions but stride has {stride.Length}");

        // The last element the view touches must lie inside the storage.
        long count = 1;
        long last = offset;
        try
        {
            checked
            {
                for (int i = 0; i < shape.Length; i++)
                {
                    count *= shape[i];
                    if (shape[i] > 0) last += (shape[i] - 1) * stride[i];
                }
            }
        }
        catch (OverflowException)
        {
            throw fail($"tensor size [{string.Join(", ", shape)}] with stride [{string.Join(", ", stride)}] overflows");
        }
        if (count > 0 && last >= storage.ElementCount)
            throw fail($"tensor size [{string.Join(", ", shape)}], stride [{string.Join(", ", stride)}], offset {offset} reaches element {last} of a storage of {storage.ElementCount} elements");
        if (count == 0 && offset > storage.ElementCount)
            throw fail($"tensor offset {offset} is past the end of a storage of {storage.ElementCount} elements");
        return new TorchTensorRef(storage, offset, shape, stride);
    }

    private static long[] IntTuple(object? value, string what, Func<string, Exception> fail)
    {
        object?[] items = value switch
        {
            PickleTuple t => t.Items,
            PickleList l => [.. l.Items],
            _ => throw fail($"tensor {what} is {PickleValue.Describe(value)} (a tuple of ints expected)"),
        };
        if (items.Length > MaxDimensions) throw fail($"tensor {what} has {items.Length} dimensions (at most {MaxDimensions})");
        var result = new long[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            if (items[i] is not long v || v < 0) throw fail($"tensor {what} element {i} is {PickleValue.Describe(items[i])} (a non-negative int expected)");
            result[i] = v;
        }
        return result;
    }
}
