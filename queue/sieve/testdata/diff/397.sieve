# 397: envelope with an unknown part is invalid
require "envelope";
if envelope :is "bogus" "x" { keep; }
