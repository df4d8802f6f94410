# 274: reject twice is an error
require "reject";
reject "a";
reject "b";
