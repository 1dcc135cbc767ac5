package io.gatehouse.expr.lib;

/** .NET {@code System.DayOfWeek}, Sunday first (its integer value is the ordinal). */
public enum DotNetDayOfWeek { Sunday, Monday, Tuesday, Wednesday, Thursday, Friday, Saturday }
