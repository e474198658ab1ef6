package io.averon.driver;

import java.util.List;

/**
 * The outcome of a training run: where it wrote its files and each epoch's summary.
 *
 * @param runDirectory  the run directory (metrics.jsonl, model.zip, checkpoints/)
 * @param modelLocation the saved final model (DL4J ModelSerializer format)
 * @param workers       number of data-parallel workers
 * @param epochs        summaries of the epochs trained in this invocation (not those before a resume)
 * @param finalStep     the parameter server's step count at the end
 * @param parameters    the final parameters
 */
public record RunResult(String runDirectory, String modelLocation, int workers, List<EpochSummary> epochs,
                        long finalStep, float[] parameters) {

    public EpochSummary last() {
        return epochs.isEmpty() ? null : epochs.get(epochs.size() - 1);
    }
}
