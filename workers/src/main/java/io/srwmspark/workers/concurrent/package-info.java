/** Fork-join helpers shared by the CPU kernels: fixed task splits, so results never depend on thread counts. */
package io.srwmspark.workers.concurrent;
