/** File formats the workers read and write: NumPy {@code .npy} arrays and SRWM reference cases. */
package io.srwmspark.workers.io;
