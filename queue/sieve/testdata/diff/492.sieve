# 492: identifier starting with a digit is invalid
require "fileinto";
1fileinto "X";
