# 300: vacation :seconds without vacation-seconds is invalid
require "vacation";
vacation :seconds 60 "x";
