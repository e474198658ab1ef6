package io.averon.jobs.models;

import java.util.Arrays;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Reads an image batch as a batch of sequences, one time step per image row: {@code [n, c, h, w]} (NCHW) becomes
 * {@code [n, c*w, h]}, DL4J's NCW recurrent layout, so step {@code t} carries row {@code t} of every channel. This
 * lets a recurrent classifier take the same 4D batches as the convolutional nets. DL4J's own
 * {@code CnnToRnnPreProcessor} does not do this: it treats the batch dimension as (examples x time steps). The image
 * size is part of the configuration because backpropagation has to split {@code c*w} again.
 */
public final class ImageRowsToSequence implements InputPreProcessor {
    private static final long serialVersionUID = 1L;

    @JsonProperty("channels")
    private final int channels;
    @JsonProperty("height")
    private final int height;
    @JsonProperty("width")
    private final int width;

    @JsonCreator
    public ImageRowsToSequence(@JsonProperty("channels") int channels, @JsonProperty("height") int height,
                               @JsonProperty("width") int width) {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("ImageRowsToSequence image size must be positive, got "
                    + height + "x" + width + "x" + channels);
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    @Override
    public INDArray preProcess(INDArray input, int miniBatchSize, LayerWorkspaceMgr workspaceMgr) {
        if (input.rank() != 4 || input.size(1) != channels || input.size(2) != height || input.size(3) != width) {
            throw new IllegalArgumentException("ImageRowsToSequence input must be an NCHW batch [n, " + channels
                    + ", " + height + ", " + width + "], got shape " + Arrays.toString(input.shape()));
        }
        // [n,c,h,w] -> [n,c,w,h] puts the row index last; merging c and w then gives features x time.
        INDArray sequence = input.permute(0, 1, 3, 2).dup('c')
                .reshape('c', input.size(0), (long) channels * width, height);
        return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, sequence);
    }

    @Override
    public INDArray backprop(INDArray epsilon, int miniBatchSize, LayerWorkspaceMgr workspaceMgr) {
        INDArray image = epsilon.dup('c').reshape('c', epsilon.size(0), channels, width, height)
                .permute(0, 1, 3, 2).dup('c');
        return workspaceMgr.leverageTo(ArrayType.ACTIVATION_GRAD, image);
    }

    @Override
    public InputPreProcessor clone() {
        return new ImageRowsToSequence(channels, height, width);
    }

    @Override
    public InputType getOutputType(InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeConvolutional image) || image.getChannels() != channels
                || image.getHeight() != height || image.getWidth() != width) {
            throw new IllegalArgumentException("ImageRowsToSequence was configured for " + height + "x" + width
                    + "x" + channels + " images, got input type " + inputType);
        }
        return InputType.recurrent((long) channels * width, height);
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState,
                                                          int minibatchSize) {
        // Images carry no per-step mask: every row is a real time step.
        return new Pair<>(maskArray, currentMaskState);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ImageRowsToSequence that
                && that.channels == channels && that.height == height && that.width == width;
    }

    @Override
    public int hashCode() {
        return (channels * 31 + height) * 31 + width;
    }

    @Override
    public String toString() {
        return "ImageRowsToSequence(" + height + "x" + width + "x" + channels + ")";
    }
}
