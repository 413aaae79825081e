// Tests seed and draw from libtorch's process-wide generator (weights, dropout, random inputs): one test at a time, so
// a test running beside another cannot change the numbers it expects.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
