/**
 * File formats the workers read and write: NumPy {@code .npy} arrays, SRWM reference cases, and float vectors in
 * Java serialization ({@link io.srwmspark.workers.io.FloatBytes}, what a training step ships through Spark).
 */
package io.srwmspark.workers.io;
