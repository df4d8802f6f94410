# 006: fileinto two mailboxes
require "fileinto";
fileinto "Work";
fileinto "Archive";
