/**
 * Explicit, splittable seeds. Nothing in srwm-spark draws from a global generator (ND4J's {@code Nd4j.getRandom()}
 * is shared per thread and gives different numbers when tasks interleave): every random array is a pure
 * function of a seed, and seeds for runs, steps, partitions and episodes are derived by splitting.
 */
package io.srwmspark.workers.rng;
