return await Aitbc.Coordinator.CoordinatorApp.RunAsync(args);
