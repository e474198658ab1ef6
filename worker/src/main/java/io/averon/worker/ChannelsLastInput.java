package io.averon.worker;

import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Feeds Averon's channels-first image batches ({@code [n, c, h, w]}) to a network whose first layer expects
 * channels-last ({@code [n, h, w, c]}), such as a Keras model saved with {@code data_format = channels_last}: the
 * input is permuted on the way in and its gradient permuted back. Stateless, so one instance serves any batch.
 */
public final class ChannelsLastInput implements InputPreProcessor {
    private static final long serialVersionUID = 1L;

    @Override
    public INDArray preProcess(INDArray input, int miniBatchSize, LayerWorkspaceMgr workspaceMgr) {
        return workspaceMgr.dup(ArrayType.ACTIVATIONS, input.permute(0, 2, 3, 1), 'c');
    }

    @Override
    public INDArray backprop(INDArray output, int miniBatchSize, LayerWorkspaceMgr workspaceMgr) {
        return workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, output.permute(0, 3, 1, 2), 'c');
    }

    @Override
    public InputPreProcessor clone() {
        return new ChannelsLastInput();
    }

    @Override
    public InputType getOutputType(InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeConvolutional image)) {
            throw new IllegalArgumentException("channels-last input needs image input, got " + inputType);
        }
        return InputType.convolutional(image.getHeight(), image.getWidth(), image.getChannels(), CNN2DFormat.NHWC);
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState,
                                                          int minibatchSize) {
        return new Pair<>(maskArray, currentMaskState);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ChannelsLastInput;
    }

    @Override
    public int hashCode() {
        return ChannelsLastInput.class.hashCode();
    }
}
