# 276: reject and discard
require "reject";
discard;
reject "no";
