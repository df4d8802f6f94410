# 283: vacation default
require "vacation";
vacation "I am away.";
