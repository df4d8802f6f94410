# 294: vacation :days 0
require "vacation";
vacation :days 0 "Days zero.";
