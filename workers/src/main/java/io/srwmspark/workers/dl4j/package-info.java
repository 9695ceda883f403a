/**
 * The SRWM blocks as custom DL4J 1.0.0-M2.1 recurrent layers for {@code ComputationGraph}s.
 *
 * <p>Each layer is a configuration class (JSON-serialisable, built with a builder) and a runtime layer:
 * {@link io.srwmspark.workers.dl4j.SrwmBlockLayer} / {@code SrwmBlockLayerImpl} for the few-shot block and
 * {@link io.srwmspark.workers.dl4j.SrwmRlBlockLayer} / {@code SrwmRlBlockLayerImpl} for the RL block. The
 * math lives in {@link io.srwmspark.workers.nn}; the runtime layers only convert between DL4J's recurrent
 * layout (B, D, T) (NCW, or (B, T, D) for NWC) and the blocks' (B, T, D), keep the fast weights between
 * {@code rnnTimeStep} / truncated-BPTT calls, and follow DL4J's workspace rules: block math runs outside
 * workspaces, outputs are copied into the ACTIVATIONS workspace, returned epsilons into ACTIVATION_GRAD and
 * parameter gradients into the gradient views. Parameters are views of the flat parameter vector
 * ({@link io.srwmspark.workers.dl4j.SrwmParamInitializer}).
 *
 * <p>The whole few-shot model as a graph, for dl4j-spark's parameter averaging (strategy dl4j-averaging):
 * {@link io.srwmspark.workers.dl4j.FewShotGraph} builds it, {@link io.srwmspark.workers.dl4j.EpisodeData} turns
 * episodes into MultiDataSets, {@link io.srwmspark.workers.dl4j.ProtoAuxLoss} is the auxiliary prototypical
 * loss, {@link io.srwmspark.workers.dl4j.GraphEvaluator} scores it by the project's protocol and
 * {@link io.srwmspark.workers.dl4j.GraphFile} writes and reads it with its run configuration, and
 * {@link io.srwmspark.workers.dl4j.GraphState} turns its training state into a project checkpoint and back.
 */
package io.srwmspark.workers.dl4j;
