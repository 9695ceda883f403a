/**
 * Few-shot image data: readers for Omniglot's folders, Mini-ImageNet's images plus CSVs and generic class-folder
 * trees, on local disk or any Hadoop FileSystem ({@link io.srwmspark.workers.data.DataStore}); class splits
 * ({@link io.srwmspark.workers.data.ClassSplits}, split files); the paper's preprocessing
 * ({@link io.srwmspark.workers.data.Preprocessing}); splits decoded in parallel into one contiguous float array
 * ({@link io.srwmspark.workers.data.ImageSet}); and {@link io.srwmspark.workers.data.SyntheticGlyphs}, a seeded
 * generator of Omniglot-like characters for tests and demos. Entry point: {@link io.srwmspark.workers.data.Datasets}.
 * Nothing here imports Spark. Formats and measured figures: docs/data.md.
 */
package io.srwmspark.workers.data;
