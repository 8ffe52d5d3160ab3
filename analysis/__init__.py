"""pkosim's analysis layer: reads result directories (never the model's internals) and turns them into tables,
comparisons, figures and reports."""
