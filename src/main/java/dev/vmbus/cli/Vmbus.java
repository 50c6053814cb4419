package dev.vmbus.cli;
public final class Vmbus { public static void main(String[] a) { } }
