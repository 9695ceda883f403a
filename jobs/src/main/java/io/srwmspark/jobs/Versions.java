package io.srwmspark.jobs;

/** The version of this build, for provenance. */
final class Versions {

    private Versions() {
    }

    static String code() {
        String v = Versions.class.getPackage().getImplementationVersion();
        return "srwm-spark " + (v == null ? "dev" : v);
    }
}
