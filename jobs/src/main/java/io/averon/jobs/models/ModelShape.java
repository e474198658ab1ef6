package io.averon.jobs.models;

import org.deeplearning4j.nn.conf.inputs.InputType;

/**
 * The geometry every zoo network is built for: images of {@code channels x height x width}, fed as 4D NCHW batches
 * {@code [n, channels, height, width]}, and the number of classes of the softmax output.
 */
public record ModelShape(int channels, int height, int width, int classes) {

    public ModelShape {
        requireAtLeast("channels", channels, 1);
        requireAtLeast("height", height, 1);
        requireAtLeast("width", width, 1);
        requireAtLeast("classes", classes, 2);
    }

    /** DL4J's description of the features: convolutional, NCHW. */
    public InputType inputType() {
        return InputType.convolutional(height, width, channels);
    }

    /** {@code HxWxC}, the way the model Javadocs and error messages name input sizes. */
    public String describe() {
        return height + "x" + width + "x" + channels;
    }

    private static void requireAtLeast(String field, int value, int minimum) {
        if (value < minimum) {
            throw new IllegalArgumentException("ModelShape " + field + " must be at least " + minimum + ", got "
                    + value);
        }
    }
}
