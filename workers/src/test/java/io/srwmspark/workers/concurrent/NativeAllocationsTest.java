package io.srwmspark.workers.concurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

class NativeAllocationsTest {

    @Test
    void theProjectsJvmOptionsTurnTheResidentMemoryCheckOff() {
        // surefire starts this JVM with the parent pom's srwm.jvm.opens, the list ./srwm and the driver use
        assertEquals(0, Pointer.maxPhysicalBytes(), "JavaCPP maxPhysicalBytes");
        assertEquals(Optional.empty(), NativeAllocations.warning());
    }

    @Test
    void aJvmWithTheCheckOnIsToldTheOptionThatTurnsItOff() {
        String w = NativeAllocations.warning(16L << 30).orElseThrow();
        assertTrue(w.contains("org.bytedeco.javacpp.maxPhysicalBytes=17179869184"), w);
        assertTrue(w.contains("-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"), w);
        assertEquals(Optional.empty(), NativeAllocations.warning(0));
    }
}
