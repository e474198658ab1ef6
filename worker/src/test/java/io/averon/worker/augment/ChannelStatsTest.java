package io.averon.worker.augment;

import io.averon.worker.image.PixelImage;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ChannelStatsTest {
    // Channel 0: 0, 255 | 255, 255 -> 0, 1, 1, 1: mean 0.75, variance 0.75 - 0.5625 = 0.1875.
    // Channel 1: 51, 102 | 0, 0 -> 0.2, 0.4, 0, 0: mean 0.15, variance 0.05 - 0.0225 = 0.0275.
    private static final PixelImage FIRST = new PixelImage(2, 1, 2, bytes(0, 255, 51, 102));
    private static final PixelImage SECOND = new PixelImage(2, 2, 1, bytes(255, 255, 0, 0));

    @Test
    void matchesHandComputation() {
        ChannelStats stats = new ChannelStats(2).add(FIRST).add(SECOND);
        assertEquals(4, stats.count());
        assertArrayEquals(new double[] {0.75, 0.15}, stats.mean(), 1e-12);
        assertArrayEquals(new double[] {Math.sqrt(0.1875), Math.sqrt(0.0275)}, stats.std(), 1e-12);
    }

    @Test
    void mergeEqualsAddingEverythingToOne() throws Exception {
        ChannelStats left = new ChannelStats(2).add(FIRST);
        ChannelStats right = roundTrip(new ChannelStats(2).add(SECOND));
        ChannelStats merged = left.merge(right);
        ChannelStats all = new ChannelStats(2).add(SECOND).add(FIRST);
        assertArrayEquals(all.mean(), merged.mean(), 0);
        assertArrayEquals(all.std(), merged.std(), 0);
    }

    @Test
    void rejectsMismatchedChannelsAndEmptyStatistics() {
        ChannelStats stats = new ChannelStats(3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> stats.add(FIRST));
        assertEquals("image has 2 channels, these statistics have 3", e.getMessage());
        assertThrows(IllegalStateException.class, stats::mean);
        assertThrows(IllegalArgumentException.class, () -> stats.merge(new ChannelStats(1)));
    }

    private static ChannelStats roundTrip(ChannelStats stats) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(stats);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (ChannelStats) in.readObject();
        }
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }
}
