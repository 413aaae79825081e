using QuakePrune.Picking;

// `QuakePrune.PickerTrainer`: trains the picker that the request on standard input describes (PickingStage starts it).
return PickerTrainingProcess.Run(Console.In, Console.Error);
