# 325: require not at the start
keep;
require "fileinto";
