# 402: vacation :addresses with an invalid address
require "vacation";
vacation :addresses "bad address" "x";
