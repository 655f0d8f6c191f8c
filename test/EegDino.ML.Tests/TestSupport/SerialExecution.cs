// The suite runs its tests one at a time. These are the shared, process-wide states that need it:
// - the current directory: ReadmeExamplesTests runs the README's code, which names files relative
//   to it, inside a scratch folder;
// - glibc's malloc settings: EegDinoAllocator.ConfigureForThroughput (AllocatorTests, the README
//   example) changes them for the whole process;
// - torch's global random generator: manual_seed in CustomConfigurationTests, ConvolutionPathTests,
//   AdamWOptimizerTests and EegDinoEncoder.CreateRandom (the CLI's bench tests) reseeds it;
// - Console.Out and Console.Error: the CLI tests (Samples/) redirect them to read what a command printed;
// - MemoryTests measures the process's resident memory, which other tests would move.
[assembly: DoNotParallelize]
