# 354: vacation :days with a string
require "vacation";
vacation :days "3" "x";
