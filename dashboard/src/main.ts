import { createApp } from "vue";
import "uplot/dist/uPlot.min.css";
import "./style.css";
import App from "./App.vue";

createApp(App).mount("#app");
