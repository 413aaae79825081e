using QuakePrune.Hdf5;
using QuakePrune.Stead;

// `QuakePrune.Hdf5Reader serve FILE`: answers a SteadTraceReader's requests for FILE's traces on standard input
// and output.
// `QuakePrune.Hdf5Reader check FILE`: walks every object of FILE with libhdf5 for Hdf5Guard; exit 0 when it did
// not crash.
// Started by SeparateProcess only; a crash in libhdf5 ends this process and the caller names the damaged file.
switch (args)
{
    case [SeparateProcess.Serve, string served]:
        SteadTraceServer.Serve(served);
        return 0;
    case [SeparateProcess.Check, string walked]:
        Hdf5Guard.Walk(walked, Console.Out);
        return 0;
    default:
        Console.Error.WriteLine(
            $"usage: QuakePrune.Hdf5Reader {SeparateProcess.Serve}|{SeparateProcess.Check} FILE (started by QuakePrune's HDF5 reading)"
        );
        return 2;
}
