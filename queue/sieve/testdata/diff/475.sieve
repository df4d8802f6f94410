# 475: several require commands
require "fileinto";
require "copy";
fileinto :copy "Two";
