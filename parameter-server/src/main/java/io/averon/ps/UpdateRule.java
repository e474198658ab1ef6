package io.averon.ps;

/**
 * Applies one synchronous step's averaged gradient to the authoritative parameters, typically by delegating to the
 * model's DL4J updater so that results match single-JVM training at the same global batch. It runs on the parameter
 * server's agent thread, between the collection of one step's gradients and the publication of the new parameters,
 * so it must not block on other threads of the server (in particular not call
 * {@link ParameterServer#atStepBoundary}). If it throws, the server stops serving steps and tells every client why.
 */
@FunctionalInterface
public interface UpdateRule
{
    /**
     * @param parameters      authoritative parameters, updated in place.
     * @param meanGradient    gradient averaged over the step's examples: sum_i(batch_i * g_i) / sum_i(batch_i), where
     *                        g_i is worker i's gradient (already a per-example mean over its local batch). The array
     *                        is reused by the server: copy it if it must outlive the call.
     * @param globalBatchSize sum of the contributing workers' batch sizes.
     * @param step            the step being completed (0-based count of steps applied so far).
     */
    void apply(float[] parameters, float[] meanGradient, int globalBatchSize, long step);
}
