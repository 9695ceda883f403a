/**
 * Fork-join helpers shared by the CPU kernels: fixed task splits, so results never depend on thread counts or on
 * which thread ran a task; teams of one-core tasks that lend each other their cores ({@link
 * io.srwmspark.workers.concurrent.LoopTeam}).
 */
package io.srwmspark.workers.concurrent;
