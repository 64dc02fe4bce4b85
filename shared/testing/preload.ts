// Filled in by the testing part of the kit.
