package io.averon.worker.augment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AugmentSpecTest {

    @Test
    void defaultsAreNoAugmentation() {
        AugmentSpec spec = AugmentSpec.builder(3, 32, 48).build();
        assertEquals(AugmentSpec.ResizeMode.EXACT, spec.resizeMode());
        assertEquals(AugmentSpec.CropMode.CENTER, spec.cropMode());
        assertEquals(32, spec.shorterSide());
        assertEquals(3 * 32 * 48, spec.exampleLength());
        assertEquals(0, spec.hflipProbability());
        assertEquals(1, spec.scaleMin());
        assertEquals(1, spec.scaleMax());
        assertArrayEquals(new double[] {0, 0, 0}, spec.mean());
        assertArrayEquals(new double[] {1, 1, 1}, spec.std());
        assertTrue(spec.training());
        assertFalse(spec.isRandom());
    }

    @Test
    void builderRejectsOutOfRangeValuesNamingParameterAndValue() {
        AugmentSpec.Builder b = AugmentSpec.builder(3, 8, 8);
        assertMessage("augment.hflip must be in [0,1], was 1.5", () -> b.hflip(1.5));
        assertMessage("augment.vflip must be in [0,1], was -0.1", () -> b.vflip(-0.1));
        assertMessage("augment.rotation must be in [0,180], was 270.0", () -> b.rotation(270));
        assertMessage("augment.hue must be in [0,0.5], was 0.6", () -> b.hue(0.6));
        assertMessage("augment.brightness must be >= 0 and finite, was NaN", () -> b.brightness(Double.NaN));
        assertMessage("augment.contrast must be >= 0 and finite, was -1.0", () -> b.contrast(-1));
        assertMessage("augment.noise must be in [0,1], was 2.0", () -> b.noise(2));
        assertMessage("augment.translate must be in [0,1], was 1.2", () -> b.translate(1.2));
        assertMessage("augment.scale minimum must be in (0,10], was 0.0", () -> b.scale(0, 1));
        assertMessage("augment.scale maximum must be in [1.2,10], was 0.9", () -> b.scale(1.2, 0.9));
        assertMessage("augment.erasing must be in [0,1], was 3.0", () -> b.erasing(3));
        assertMessage("augment.erasingArea maximum must be in [0.5,1], was 0.2", () -> b.erasingArea(0.5, 0.2));
        assertMessage("augment.erasingAspect minimum must be positive and finite, was 0.0",
                () -> b.erasingAspect(0, 1));
        assertMessage("augment.shorterSide must be positive, was 0", () -> b.resizeShorterSide(0));
        assertMessage("augment.mean must have one value per channel (3), was [0.5]",
                () -> b.normalize(new double[] {0.5}, new double[] {1, 1, 1}));
        assertMessage("augment.std[1] must be positive and finite, was 0.0",
                () -> b.normalize(new double[] {0, 0, 0}, new double[] {1, 0, 1}));
        assertMessage("augment.height must be positive, was -4", () -> AugmentSpec.builder(3, -4, 8));
        assertMessage("augment.saturation and augment.hue need 1 or 3 channels, augment.channels was 4",
                () -> AugmentSpec.builder(4, 8, 8).saturation(0.2).build());
    }

    @Test
    void serialisesToAnEqualValue() throws Exception {
        AugmentSpec spec = AugmentSpec.builder(3, 16, 16).resizeShorterSide(20).crop(AugmentSpec.CropMode.RANDOM)
                .hflip(0.5).rotation(10).scale(0.9, 1.1).translate(0.1).colorJitter(0.4, 0.4, 0.4, 0.1).noise(0.01)
                .erasing(0.25).normalize(new double[] {0.485, 0.456, 0.406}, new double[] {0.229, 0.224, 0.225})
                .build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(spec);
        }
        Object back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = in.readObject();
        }
        assertEquals(spec, back);
        assertEquals(spec.hashCode(), back.hashCode());
        assertTrue(spec.isRandom());
    }

    @Test
    void forEvaluationKeepsShapeAndNormalisationButTurnsRandomnessOff() {
        AugmentSpec spec = AugmentSpec.builder(3, 16, 16).resizeShorterSide(20).crop(AugmentSpec.CropMode.RANDOM)
                .hflip(0.5).normalize(new double[] {0.1, 0.2, 0.3}, new double[] {1, 2, 3}).build();
        AugmentSpec eval = spec.forEvaluation();
        assertFalse(eval.training());
        assertFalse(eval.isRandom());
        assertEquals(AugmentSpec.CropMode.CENTER, eval.effectiveCropMode());
        assertEquals(20, eval.shorterSide());
        assertArrayEquals(spec.std(), eval.std());
        assertNotEquals(spec, eval);
        assertEquals(spec, eval.toBuilder().training(true).build());
    }

    @Test
    void accessorsReturnCopies() {
        AugmentSpec spec = AugmentSpec.builder(1, 4, 4).build();
        spec.mean()[0] = 7;
        assertEquals(0, spec.mean()[0]);
    }

    private static void assertMessage(String expected, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(expected, e.getMessage());
    }
}
