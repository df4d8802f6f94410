# 352: require with a number
require 1;
