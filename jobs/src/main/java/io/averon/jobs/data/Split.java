package io.averon.jobs.data;

import java.io.Serializable;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded split of each class's files into a training part and a held-out validation part, for datasets that come
 * as one tree. The same seed and fraction give the same split on every run, so a resumed job validates on the same
 * images; the split is per class, so every class keeps its share in both parts.
 *
 * @param fraction   share of each class held out for validation, in [0, 1)
 * @param seed       seed of the shuffle that decides which files are held out
 * @param validation true for the held-out part, false for the training part
 */
public record Split(double fraction, long seed, boolean validation) implements Serializable {

    public Split {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), was " + fraction);
        }
    }

    /** Keeps this part's items of one class (the list is in its stable, sorted order). */
    public <T> List<T> select(List<T> classItems, int classIndex) {
        int n = classItems.size();
        int held = (int) Math.round(n * fraction);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed * 31 + classIndex);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        boolean[] heldOut = new boolean[n];
        for (int i = 0; i < held; i++) {
            heldOut[order[i]] = true;
        }
        java.util.ArrayList<T> kept = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (heldOut[i] == validation) {
                kept.add(classItems.get(i));
            }
        }
        return kept;
    }
}
