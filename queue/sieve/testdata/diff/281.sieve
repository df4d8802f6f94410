# 281: reject with two arguments is invalid
require "reject";
reject "a" "b";
