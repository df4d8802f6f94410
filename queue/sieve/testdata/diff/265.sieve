# 265: :copy without require is invalid
require "fileinto";
fileinto :copy "X";
