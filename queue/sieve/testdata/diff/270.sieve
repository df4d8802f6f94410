# 270: reject
require "reject";
reject "Not wanted here.";
