package io.averon.driver;

/**
 * Stops a run whose test score has not improved by more than {@code train.early-stopping-min-delta} for
 * {@code train.early-stopping-patience} epochs. Its memory (best score, epochs since it) travels in every checkpoint,
 * so a resumed run stops where the uninterrupted one would have.
 */
final class EarlyStopping {
    private final int patience;
    private final double minDelta;
    private double best;
    private int sinceBest;

    /**
     * @param patience  epochs without improvement before stopping; 0 never stops
     * @param minDelta  improvement that counts
     * @param best      best score so far (negative infinity before any)
     * @param sinceBest epochs evaluated since the best
     */
    EarlyStopping(int patience, double minDelta, double best, int sinceBest) {
        this.patience = patience;
        this.minDelta = minDelta;
        this.best = best;
        this.sinceBest = sinceBest;
    }

    /**
     * @param score     the epoch's test score (accuracy, or mean IoU for segmentation)
     * @param lastEpoch whether no epoch follows anyway
     * @return true if the run should stop after this epoch
     */
    boolean record(double score, boolean lastEpoch) {
        if (score > best + minDelta) {
            best = score;
            sinceBest = 0;
        } else {
            sinceBest++;
        }
        return patience > 0 && sinceBest >= patience && !lastEpoch;
    }

    double best() {
        return best;
    }

    int sinceBest() {
        return sinceBest;
    }

    int patience() {
        return patience;
    }

    double minDelta() {
        return minDelta;
    }
}
