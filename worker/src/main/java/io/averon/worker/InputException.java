package io.averon.worker;

/**
 * Bad input from a user: a missing or corrupt file, a wrong config value, a checkpoint of another model. Its message
 * names the input and what is wrong and is shown to the operator as one line, without a stack trace.
 */
public class InputException extends RuntimeException {
    public InputException(String message) {
        super(message);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause);
    }
}
