// The dashboard's entry: its configuration, then the router over the views' table.
import "./style.css";
import { loadConfig } from "./config";
import { startRouter, type Route } from "./router";
import { analysisView } from "./views/analysis";
import { knowledgeView } from "./views/knowledge";
import { manageView } from "./views/manage";
import { overviewView } from "./views/overview";
import { settingsView } from "./views/settings";
import { symbolView } from "./views/symbol";
import { trainingView } from "./views/training";

// the ui service redirects /<path>/... to /#/<path>/... for these (ui/app.py VIEWS)
const ROUTES: Route[] = [
  { path: "overview", title: "Overview", view: overviewView },
  { path: "symbol", title: "Chart", view: symbolView },
  { path: "analysis", title: "Analysis", view: analysisView },
  { path: "knowledge", title: "Knowledge", view: knowledgeView },
  { path: "training", title: "Training", view: trainingView },
  { path: "manage", title: "Symbols & strategies", view: manageView },
  { path: "settings", title: "Settings", view: settingsView },
];

void loadConfig().then(() => startRouter(ROUTES));
