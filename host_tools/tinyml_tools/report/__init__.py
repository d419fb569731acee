"""What a blob costs: `tinyml inspect`'s description (inspect_blob) and the arena drawing
(memory_plot)."""
