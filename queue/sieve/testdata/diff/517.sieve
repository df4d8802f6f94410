# 517: ereject without its own require is invalid
require "reject";
ereject "no";
