package io.averon.worker;

/** Assertions on flattened parameter vectors, shared by the parity and resume tests (published as a test jar). */
public final class ParameterAssertions {
    private ParameterAssertions() {
    }

    /**
     * Every parameter within {@code relative} of its expected value; near-zero values are compared against 1% of the
     * largest magnitude, so that a relative bound stays meaningful for them.
     */
    public static void assertClose(float[] expected, float[] actual, double relative) {
        if (expected.length != actual.length) {
            throw new AssertionError("expected " + expected.length + " parameters but got " + actual.length);
        }
        double scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            double tolerance = relative * Math.max(Math.abs(expected[i]), 1e-2 * scale);
            if (Math.abs(expected[i] - actual[i]) > tolerance) {
                throw new AssertionError("parameter " + i + ": expected " + expected[i] + " but was " + actual[i]
                        + " (tolerance " + tolerance + ")");
            }
        }
    }

    /** Largest absolute difference between two parameter vectors. */
    public static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
