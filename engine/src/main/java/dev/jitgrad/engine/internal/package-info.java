/**
 * Engine types that the compiler builds on: the op table and the algebra that derivative rules are
 * written against. Not API: they may change in any release.
 */
package dev.jitgrad.engine.internal;
