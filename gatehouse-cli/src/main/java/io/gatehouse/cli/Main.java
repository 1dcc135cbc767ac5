package io.gatehouse.cli;

/** Entry point of the gatehouse command line. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.out.println("gatehouse");
    }
}
