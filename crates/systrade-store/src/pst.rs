//! pysystemtrade CSV files (being built).
