package io.srwmspark.workers.fewshot;

import java.util.function.Supplier;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs one forward/backward pass of the model with every ND4J temporary in a per-thread workspace that is
 * reused from pass to pass (after DL4J's training workspaces).
 *
 * <p>Without it each temporary is native memory freed only when the garbage collector finds its Java wrapper:
 * between two young collections tens of MB per pass pile up, malloc grows into pages the process never touched,
 * and every such page faults on first use (measured on a 2-core VM: 2-18k faults and 250-600 ms per 64-episode
 * pass instead of ~10 faults and 190 ms; docs/distributed.md, "Speed"). The workspace learns its size on the
 * first pass and then hands out the same memory every time, so the results are bitwise those of a pass without
 * it. Nothing allocated inside may outlive the pass: callers allocate what they keep (the gradient) before.
 * {@link FewShotModel#run} is the one user, so training, evaluation and the benchmarks all get it.
 */
final class StepWorkspace {

    private static final String ID = "srwm-pass";

    private static final WorkspaceConfiguration CONF = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .overallocationLimit(0.2)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    private StepWorkspace() {
    }

    /** {@code pass} with this thread's pass workspace active; what it returns must hold no workspace array. */
    @SuppressWarnings("try")                                  // the scope is the point, not the variable
    static <R> R run(Supplier<R> pass) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONF, ID)) {
            return pass.get();
        }
    }
}
